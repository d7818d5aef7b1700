-- A function's body and volatility change; a procedure is added.
-- source
create function f(a int) returns int language plpgsql as $$ begin return a; end $$;
-- target
create function f(a int) returns int language plpgsql stable as $$ begin return a + 1; end $$;
create procedure p(inout n int) language plpgsql as $$ begin n := n + 1; end $$;
