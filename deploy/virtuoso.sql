-- CCN Graph's setup of a Virtuoso 7 database, run once as its administrator after the first start
-- (tests/virtuoso.py runs it on every Virtuoso the tests and the benchmark start):
--   isql-vt 127.0.0.1:1111 dba <password> deploy/virtuoso.sql
-- Run again, it changes nothing (the GRANT then says the role is already assigned).

-- The SPARQL endpoint may update, and read and write every graph of CCN Graph's. Let it write only
-- on a loopback-only listener, or use the -auth endpoints with CCN_STORE_USER (docs/deploy.md).
GRANT SPARQL_UPDATE TO "SPARQL";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);

-- Virtuoso's own graphs (every database has them), private: a query that names no graph would
-- otherwise see them in its default graph, and GRAPH ?g would find them among CCN Graph's. Hidden
-- here, the remote backend stops adding Virtuoso's exclusion pragma to every query, which slows
-- most joins (it checks whether they are shown; docs/deploy.md).
DB.DBA.RDF_GRAPH_GROUP_CREATE ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 1);
DB.DBA.RDF_GRAPH_GROUP_INS ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 'http://www.openlinksw.com/schemas/virtrdf#');
DB.DBA.RDF_GRAPH_GROUP_INS ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 'http://www.w3.org/ns/ldp#');
DB.DBA.RDF_GRAPH_GROUP_INS ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 'http://localuriqaserver/sparql');
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);
