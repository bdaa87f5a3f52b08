-- Issue 15: the terminals `bytemtaani serve` lets in, each known by its SSH public key. The
-- key's kind decides what its sessions may open (kiosk: the kiosk app; till: till and
-- customer screens; admin: the console). The operator adds and revokes them (`bytemtaani
-- terminal ...`, as the owner, naming the admin it is done for); an admin console reads them.
create table terminals (
    id          uuid primary key default gen_random_uuid(),
    name        varchar(40) not null check (name ~ '^[a-z0-9][a-z0-9-]*$'),
    kind        text        not null check (kind in ('kiosk', 'till', 'admin')),
    -- The algorithm and base64 of an OpenSSH public key, without its comment.
    public_key  text        not null,
    -- SHA256:..., as `ssh-keygen -l` prints it.
    fingerprint text        not null,
    added_by    uuid        not null references users (id) on delete restrict,
    added_at    timestamptz not null default now(),
    revoked_by  uuid        references users (id) on delete restrict,
    revoked_at  timestamptz,
    check ((revoked_at is null) = (revoked_by is null))
);
-- A name or a key names one terminal in use; a revoked one's may be reused.
create unique index terminals_name_in_use on terminals (name) where revoked_at is null;
create unique index terminals_key_in_use on terminals (public_key) where revoked_at is null;

grant select on terminals to bytemtaani_admin;
