-- A column names a field of the `ownership` object by its path, the parts joined:
-- initial_ownership_working_interest is ownership.initialOwnership.workingInterest.
SELECT
    'internal' AS dataSource,
    well AS chosenID,
    qualifier AS qualifierKey,
    deck_name AS name,
    wi AS initial_ownership_working_interest,
    nri AS initial_ownership_net_revenue_interest,
    lease_nri AS initial_ownership_lease_net_revenue_interest,
    npi_type AS initial_ownership_net_profit_interest_type,
    npi AS initial_ownership_net_profit_interest,
    rev1_type AS first_reversion_reversion_type,
    rev1_wi AS first_reversion_working_interest,
    rev1_nri AS first_reversion_net_revenue_interest,
    rev1_lease_nri AS first_reversion_lease_net_revenue_interest,
    rev1_npi AS first_reversion_net_profit_interest,
    CASE WHEN rev1_date IS NOT NULL THEN 'date' END AS first_reversion_reversion_tied_to_type,
    rev1_date AS first_reversion_reversion_tied_to_value,
    rev2_type AS second_reversion_reversion_type,
    rev2_wi AS second_reversion_working_interest,
    rev2_nri AS second_reversion_net_revenue_interest,
    rev2_lease_nri AS second_reversion_lease_net_revenue_interest,
    rev2_npi AS second_reversion_net_profit_interest,
    CASE WHEN rev2_date IS NOT NULL THEN 'date' END AS second_reversion_reversion_tied_to_type,
    rev2_date AS second_reversion_reversion_tied_to_value
FROM global.ownership
ORDER BY well, qualifier
