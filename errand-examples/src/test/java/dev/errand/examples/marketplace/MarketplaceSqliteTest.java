package dev.errand.examples.marketplace;

/** The core flows of 000 on SQLite (the default database). */
class MarketplaceSqliteTest extends MarketplaceFlows {}
