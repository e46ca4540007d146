ALTER TABLE stock_movements ADD COLUMN warehouse text NOT NULL DEFAULT 'main';
