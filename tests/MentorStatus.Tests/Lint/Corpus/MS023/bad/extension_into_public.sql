create extension if not exists citext with schema public; -- expect: MS023
