SELECT 'internal' AS dataSource, id AS chosenID FROM wells
