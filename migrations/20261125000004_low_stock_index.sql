-- The admin's low-stock view: products on sale, emptiest first, without reading the table.
create index products_low_stock_idx on products (stock_quantity, name, id) where not is_archived;
