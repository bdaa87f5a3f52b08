-- Stock changes are meant to be HOT updates (fillfactor 90, no index on a column they
-- change: see the schema). Migration 4's low-stock index put stock_quantity in an index, so
-- every sale rewrote all of a product's index entries, both GIN indexes included: the
-- benchmark found 0 of 281,255 stock updates HOT. Without it, a sale's stock updates touch no
-- index (checkout +15-28% in pgbench at 1M products), and the search index is not fed a new
-- entry per sale. The admin's low-stock list reads the table instead (about 0.3 s at a
-- million products, a few ms at a shop's size).
drop index products_low_stock_idx;
