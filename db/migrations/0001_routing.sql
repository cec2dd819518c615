CREATE TYPE "public"."route_backend_state" AS ENUM('active', 'draining');--> statement-breakpoint
CREATE TABLE "route_backends" (
	"environment_id" uuid NOT NULL,
	"url" text NOT NULL,
	"version" text NOT NULL,
	"state" "route_backend_state" DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "route_backends_environment_id_url_pk" PRIMARY KEY("environment_id","url")
);
--> statement-breakpoint
CREATE TABLE "route_versions" (
	"environment_id" uuid NOT NULL,
	"version" text NOT NULL,
	"weight" integer NOT NULL,
	CONSTRAINT "route_versions_environment_id_version_pk" PRIMARY KEY("environment_id","version"),
	CONSTRAINT "route_versions_weight_percent" CHECK ("route_versions"."weight" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "routes" (
	"environment_id" uuid PRIMARY KEY NOT NULL,
	"listen_port" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "routes_listen_port_unique" UNIQUE("listen_port"),
	CONSTRAINT "routes_listen_port_range" CHECK ("routes"."listen_port" between 1024 and 65535)
);
--> statement-breakpoint
ALTER TABLE "route_backends" ADD CONSTRAINT "route_backends_environment_id_routes_environment_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."routes"("environment_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "route_versions" ADD CONSTRAINT "route_versions_environment_id_routes_environment_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."routes"("environment_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routes" ADD CONSTRAINT "routes_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "route_backends_version" ON "route_backends" USING btree ("environment_id","version");--> statement-breakpoint
-- Tells the router a split changed, whoever wrote it (a service, a cascade from a deleted
-- environment, or a person at psql). Notifications with the same payload in one transaction
-- arrive once, so a per-row trigger costs the router one reload per transaction.
CREATE FUNCTION "slipway_notify_routes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('slipway_routes', COALESCE(NEW.environment_id, OLD.environment_id)::text);
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "routes_notify" AFTER INSERT OR UPDATE OR DELETE ON "routes" FOR EACH ROW EXECUTE FUNCTION "slipway_notify_routes"();--> statement-breakpoint
CREATE TRIGGER "route_versions_notify" AFTER INSERT OR UPDATE OR DELETE ON "route_versions" FOR EACH ROW EXECUTE FUNCTION "slipway_notify_routes"();--> statement-breakpoint
CREATE TRIGGER "route_backends_notify" AFTER INSERT OR UPDATE OR DELETE ON "route_backends" FOR EACH ROW EXECUTE FUNCTION "slipway_notify_routes"();
