grant all privileges on all tables in schema public to authenticated; -- expect: MS024
