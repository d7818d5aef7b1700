create type public.money_amount as (amount numeric, currency text);
create type public.point3 as (x float8, y float8, z float8);
