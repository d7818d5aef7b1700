-- migra's partitioning fixture, in other words: partitions added, detached, a column added.
-- source
create table measurement (city_id int not null, logdate date not null, peaktemp int)
    partition by range (logdate);
create table m_2006_02 partition of measurement
    for values from ('2006-02-01') to ('2006-03-01');
create table m_2006_03 partition of measurement
    for values from ('2006-03-01') to ('2006-04-01');
create index on m_2006_02 (logdate);
create table reg2part (id int, logdate date not null);
create table part2reg (id int, logdate date not null) partition by range (logdate);
-- target
create table measurement (city_id int not null, logdate date not null, peaktemp int,
                          extra text) partition by range (logdate);
create table m_2005_02 partition of measurement
    for values from ('2005-02-01') to ('2005-03-01');
create table m_2006_02 partition of measurement
    for values from ('2006-02-01') to ('2006-03-01');
create table m_2006_03 (city_id int not null, logdate date not null, peaktemp int);
create table reg2part (id int, logdate date not null) partition by range (logdate);
create table part2reg (id int, logdate date not null);
