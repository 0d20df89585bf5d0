SELECT 'internal' AS dataSource, well AS chosenID, date FROM d;
