create type public."Level" as enum ('debug', 'info', 'warn');
create table public."Log" (id bigint primary key, level public."Level" not null default 'info');
