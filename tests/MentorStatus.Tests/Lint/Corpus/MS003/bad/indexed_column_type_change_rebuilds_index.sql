-- Same type, another collation: the table keeps its file (no rewrite of rows), but things_sku_idx is rebuilt.
alter table public.things alter column sku type varchar(20) collate "C"; -- expect: MS003
