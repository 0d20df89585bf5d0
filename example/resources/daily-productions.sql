SELECT
    'internal' AS dataSource,
    well AS chosenID,
    date,
    oil,
    gas,
    water
FROM global.daily_productions
ORDER BY id
