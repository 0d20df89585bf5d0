SELECT
    'internal' AS dataSource,
    well AS chosenID,
    date,
    oil,
    gas,
    water,
    days_on AS daysOn
FROM global.monthly_productions
ORDER BY id
