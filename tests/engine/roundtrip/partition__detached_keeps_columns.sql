-- A partition detached and kept as a table; another attached from a table with the same
-- columns; a partition dropped.
-- source
create table m (id int not null, at date not null) partition by range (at);
create table m_1 partition of m for values from ('2024-01-01') to ('2024-02-01');
create table m_2 partition of m for values from ('2024-02-01') to ('2024-03-01');
create table m_3 (id int not null, at date not null);
-- target
create table m (id int not null, at date not null) partition by range (at);
create table m_1 (id int not null, at date not null);
create table m_3 partition of m for values from ('2024-03-01') to ('2024-04-01');
