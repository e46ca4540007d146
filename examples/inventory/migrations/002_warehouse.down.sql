ALTER TABLE stock_movements DROP COLUMN warehouse;
