-- Search as you type at a million products (issue 6; before/after in BENCHMARKS.md).
--
-- Two costs made a keystroke's query take 12-38 ms where most words are common:
-- 1. A prefix query ('le:*') makes GIN gather the rows of every word so beginning into one
--    bitmap before it can AND them. Indexing the first letters of each name and SKU word as
--    terms of their own turns every typed word into an exact lookup, which GIN ANDs as it
--    reads (2-4 ms).
-- 2. A common word still meant reading all of its rows (40,000 of "tecno") to show 50.
--    Sixteen partial indexes, each over a sixteenth of the products (by the id's last
--    byte), let a query stop at the first sixteenths that hold enough matches (0.2-1.4 ms).

-- Terms of a product: every start of its name and SKU words, up to 16 characters (the
-- service cuts typed words to the same length: `domain::catalog::SEARCH_TERM_CHARS`), and
-- its description's words whole (prefixes of every description word would multiply the
-- index for text nobody types as they search). Words split as the service splits typed
-- text: on anything but letters and digits.
create function bytemtaani_search_terms(name text, sku text, description text) returns tsvector
language sql immutable strict parallel safe
-- Costly per row: the planner should read the index rather than run it on every row.
cost 1000
as $$
    select coalesce(array_to_tsvector(array_agg(distinct term)), ''::tsvector)
    from (
        select left(word, n) as term
        from regexp_split_to_table(lower(name || ' ' || sku), '[^[:alnum:]]+') word,
             generate_series(1, least(length(word), 16)) n
        union all
        select left(word, 16)
        from regexp_split_to_table(lower(description), '[^[:alnum:]]+') word
    ) terms
    where term <> ''
$$;

-- The old word index and its column: every word search now goes through the terms.
drop index products_search_idx;
alter table products drop column search;

do $$
declare
    shard integer;
    branches text;
begin
    for shard in 0..15 loop
        execute format(
            'create index products_terms_%s_idx on products
                 using gin (bytemtaani_search_terms(name, sku, description))
                 where get_byte(uuid_send(id), 15) %% 16 = %s', shard, shard);
    end loop;

    -- Up to `cap` products matching `terms` and the filters, taken shard by shard: the
    -- union stops as soon as it holds `cap`. Each branch names its shard as a constant so
    -- that its partial index serves it; the plan is made once per connection (generic),
    -- as planning sixteen branches costs more than running them.
    select string_agg(format(
               '(select * from products p
                 where get_byte(uuid_send(p.id), 15) %% 16 = %s
                   and bytemtaani_search_terms(p.name, p.sku, p.description) @@ terms
                   and (category is null or p.category_id = category)
                   and (min_price is null or p.price >= min_price)
                   and (max_price is null or p.price <= max_price)
                   and (not in_stock_only or p.stock_quantity > 0)
                   and (with_archived or not p.is_archived)
                 limit cap)', s), ' union all ' order by s)
    into branches
    from generate_series(0, 15) s;
    execute format(
        'create function bytemtaani_catalog_matches(terms tsquery, category uuid,
             min_price numeric, max_price numeric, in_stock_only boolean,
             with_archived boolean, cap integer)
         returns setof products
         language plpgsql stable
         set plan_cache_mode = force_generic_plan
         as $body$ begin return query select * from (%s) m limit cap; end $body$',
        branches);
end $$;
