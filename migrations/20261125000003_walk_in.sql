-- The buyer of till sales to customers who give no name. It exists so that every order has
-- a user (the seed's orders.user_id is required); it can never log in: it is inactive and its
-- password hash is not a hash.
insert into users (id, username, email, password_hash, is_active)
values ('00000000-0000-0000-0000-00000000000a', 'walk-in', 'walk-in@bytemtaani.invalid', '!', false)
on conflict do nothing;
