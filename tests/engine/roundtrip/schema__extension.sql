-- A schema and an extension in it.
-- source
create table t (id int);
-- target
create schema "Ext; s";
create extension citext schema "Ext; s";
create table t (id int, email "Ext; s".citext);
