-- SHARE lock: writers queue behind the build, and behind its wait for the lock.
create index things_name_idx on public.things (name); -- expect: MS005
