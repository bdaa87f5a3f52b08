-- Issue 14, item 5. A terminal role cannot choose who an audit row names: the database
-- takes the actor from the logged-in session (bytemtaani_viewer) and refuses the row when
-- nobody is logged in. The owner (migrations, the command line, the callback receiver) names
-- its actor itself, as before.
create function audit_log_actor_from_session() returns trigger
language plpgsql as $$
begin
    if current_user in ('bytemtaani_kiosk', 'bytemtaani_till', 'bytemtaani_admin') then
        new.actor_id := bytemtaani_viewer();
        if new.actor_id is null then
            raise exception 'nobody is logged in to be named in the audit log'
                using errcode = 'insufficient_privilege';
        end if;
    end if;
    return new;
end
$$;
create trigger audit_log_actor_from_session before insert on audit_log
    for each row execute function audit_log_actor_from_session();
