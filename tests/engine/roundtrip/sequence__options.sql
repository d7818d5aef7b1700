-- A sequence created with options (its RESTART is below the default MINVALUE), one changed
-- (within bounds that keep its current value: a value outside them is a data question).
-- source
create sequence s2 increment 1;
-- target
create sequence "Seq""1" as integer increment by -1 minvalue -100 maxvalue -1 start -1 cache 5
    cycle;
create sequence s2 increment 10 start 100 minvalue 1 maxvalue 1000;
