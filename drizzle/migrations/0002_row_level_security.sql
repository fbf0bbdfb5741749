-- Row Level Security: a session acting for a wallet (role quantdesk_reader, setting qd.wallet) sees only
-- that wallet's rows. The owner role (the worker, migrations) is not subject to the policies.
DO $$
BEGIN
  CREATE ROLE quantdesk_reader NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION
  -- roles are cluster-wide: another database (or a concurrent migration) may have created it
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;--> statement-breakpoint
GRANT quantdesk_reader TO CURRENT_USER;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO quantdesk_reader;--> statement-breakpoint
GRANT SELECT ON wallets, markets, funding_rates, oracle_prices TO quantdesk_reader;--> statement-breakpoint
GRANT SELECT ON accounts, orders, fills, positions, deposits, withdrawals, funding_payments, liquidations TO quantdesk_reader;--> statement-breakpoint
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE fills ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE positions ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE deposits ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE withdrawals ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE funding_payments ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE liquidations ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY wallet_isolation ON accounts FOR SELECT TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true));--> statement-breakpoint
CREATE POLICY wallet_isolation ON orders FOR SELECT TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true));--> statement-breakpoint
CREATE POLICY wallet_isolation ON fills FOR SELECT TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true));--> statement-breakpoint
CREATE POLICY wallet_isolation ON positions FOR SELECT TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true));--> statement-breakpoint
CREATE POLICY wallet_isolation ON deposits FOR SELECT TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true));--> statement-breakpoint
CREATE POLICY wallet_isolation ON withdrawals FOR SELECT TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true));--> statement-breakpoint
CREATE POLICY wallet_isolation ON funding_payments FOR SELECT TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true));--> statement-breakpoint
CREATE POLICY wallet_isolation ON liquidations FOR SELECT TO quantdesk_reader USING (wallet = current_setting('qd.wallet', true));
