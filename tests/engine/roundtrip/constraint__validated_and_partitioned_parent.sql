-- A NOT VALID check that becomes valid (VALIDATE); a check, a unique key and a foreign key
-- added to a partitioned parent (its partitions get theirs, not scripted on their own).
-- source
create table r (id int primary key);
create table p (id int not null, r_id int, at date not null) partition by range (at);
create table p_2020 partition of p for values from ('2020-01-01') to ('2021-01-01');
create table p_2021 partition of p for values from ('2021-01-01') to ('2022-01-01');
alter table p_2020 add constraint p_2020_local check (id < 1000);
create table c (n int);
alter table c add constraint c_n check (n > 0) not valid;
-- target
create table r (id int primary key);
create table p (id int not null, r_id int, at date not null) partition by range (at);
create table p_2020 partition of p for values from ('2020-01-01') to ('2021-01-01');
create table p_2021 partition of p for values from ('2021-01-01') to ('2022-01-01');
alter table p_2020 add constraint p_2020_local check (id < 1000);
alter table p add constraint p_positive check (id > 0);
alter table p add constraint p_id_at unique (id, at);
alter table p add constraint p_r foreign key (r_id) references r;
create table c (n int);
alter table c add constraint c_n check (n > 0);
