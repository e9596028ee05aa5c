-- TRUNCATE, TRIGGER and REFERENCES are table privileges: ALL on sequences or functions grants none of them.
alter default privileges in schema public grant all on sequences to anon, authenticated;
alter default privileges for role postgres in schema public grant all on functions to anon;
grant all on all sequences in schema public to authenticated;
