create schema internal;
create table internal.things (id bigint primary key);
