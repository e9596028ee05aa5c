update public.things set name = lower(name); -- expect: MS025
