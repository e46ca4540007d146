CREATE TABLE stock_movements (
  movement_id bigserial PRIMARY KEY,
  sku text NOT NULL,
  amount integer NOT NULL,
  probe_run text,
  probe_seq bigint,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (probe_run, probe_seq)
);
