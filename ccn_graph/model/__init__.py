"""The domain's names: the IRIs CCN Graph mints, the bundled reference data, the stewards."""
