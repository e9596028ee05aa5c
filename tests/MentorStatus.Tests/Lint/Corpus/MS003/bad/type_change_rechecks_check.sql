set lock_timeout = '3s';
alter table public.things add constraint things_sku_check check (length(sku) > 0) not valid;
alter table public.things validate constraint things_sku_check;
-- varchar(20) -> varchar(40) keeps the table's file, but every row is read to re-check things_sku_check.
alter table public.things alter column sku type varchar(40); -- expect: MS003
