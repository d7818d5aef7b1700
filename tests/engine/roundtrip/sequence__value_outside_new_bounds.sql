-- A sequence whose current value (500) lies outside the target's MAXVALUE (100): ALTER SEQUENCE
-- refuses the new bounds ("RESTART value (500) cannot be greater than MAXVALUE"). Where the
-- value goes is a data decision (restarting would hand out numbers again): the diff names it
-- in a `-- not scripted:` line and changes the sequence's other options only.
-- expect: not scripted
-- source
create sequence "Seq""bounded" increment 1;
select setval('"Seq""bounded"', 500);
create sequence s_ok;
-- target
create sequence "Seq""bounded" increment 2 maxvalue 100;
create sequence s_ok maxvalue 1000;
