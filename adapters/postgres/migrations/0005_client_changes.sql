-- Servers keep the clients they read in memory and forget one when this trigger announces a change,
-- whoever made it (the admin API, the CLI in another process, DCR, or psql). The payload is the
-- client_id; a listener that was disconnected must assume it missed messages.
CREATE FUNCTION sekisho_clients_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('sekisho_clients', OLD.client_id);
  ELSE
    PERFORM pg_notify('sekisho_clients', NEW.client_id);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER clients_changed AFTER INSERT OR UPDATE OR DELETE ON clients
  FOR EACH ROW EXECUTE FUNCTION sekisho_clients_changed();
