CREATE TYPE "public"."deployment_kind" AS ENUM('deploy', 'promotion', 'rollback');--> statement-breakpoint
CREATE TYPE "public"."deployment_phase" AS ENUM('queued', 'pending', 'progressing', 'paused', 'rolling_back', 'succeeded', 'rolled_back', 'aborted', 'failed');--> statement-breakpoint
CREATE TYPE "public"."target_kind" AS ENUM('docker', 'local', 'kubernetes');--> statement-breakpoint
CREATE TABLE "deployment_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"deployment_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"message" text NOT NULL,
	"data" jsonb
);
--> statement-breakpoint
CREATE TABLE "deployment_signals" (
	"deployment_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"by_user_id" uuid,
	"by_label" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deployment_signals_deployment_id_seq_pk" PRIMARY KEY("deployment_id","seq")
);
--> statement-breakpoint
CREATE TABLE "deployments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"environment_id" uuid NOT NULL,
	"release_id" uuid NOT NULL,
	"previous_release_id" uuid,
	"kind" "deployment_kind" NOT NULL,
	"phase" "deployment_phase" NOT NULL,
	"spec" jsonb NOT NULL,
	"state" jsonb,
	"message" text DEFAULT '' NOT NULL,
	"reason" text,
	"step" jsonb,
	"traffic" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"health" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"smoke_test" jsonb,
	"requested_by" uuid,
	"requested_by_label" text NOT NULL,
	"run_id" uuid,
	"job_id" uuid,
	"driver_id" text,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "environment_targets" (
	"environment_id" uuid PRIMARY KEY NOT NULL,
	"kind" "target_kind" NOT NULL,
	"settings" jsonb NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "releases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"version" text NOT NULL,
	"image" text,
	"image_digest" text,
	"artifact_name" text,
	"artifact_digest" text,
	"commit_sha" text NOT NULL,
	"run_id" uuid,
	"pipeline_revision_id" uuid,
	"notes" text DEFAULT '' NOT NULL,
	"changes" jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deployment_events" ADD CONSTRAINT "deployment_events_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployment_signals" ADD CONSTRAINT "deployment_signals_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployment_signals" ADD CONSTRAINT "deployment_signals_by_user_id_users_id_fk" FOREIGN KEY ("by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_previous_release_id_releases_id_fk" FOREIGN KEY ("previous_release_id") REFERENCES "public"."releases"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "environment_targets" ADD CONSTRAINT "environment_targets_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "environment_targets" ADD CONSTRAINT "environment_targets_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deployment_events_deployment" ON "deployment_events" USING btree ("deployment_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "deployments_one_active_per_environment" ON "deployments" USING btree ("environment_id") WHERE "deployments"."phase" in ('pending', 'progressing', 'paused', 'rolling_back');--> statement-breakpoint
CREATE INDEX "deployments_environment_created" ON "deployments" USING btree ("environment_id","created_at");--> statement-breakpoint
CREATE INDEX "deployments_release" ON "deployments" USING btree ("release_id");--> statement-breakpoint
CREATE INDEX "deployments_phase" ON "deployments" USING btree ("phase");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_project_number" ON "releases" USING btree ("project_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_project_version" ON "releases" USING btree ("project_id","version");--> statement-breakpoint
CREATE INDEX "releases_run" ON "releases" USING btree ("run_id");--> statement-breakpoint
-- Releases are immutable: what was deployed must stay what the record says. Only the links to
-- rows that were deleted (the run, the author, the pipeline revision) may become null.
CREATE FUNCTION "slipway_releases_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (to_jsonb(NEW) - 'run_id' - 'created_by' - 'pipeline_revision_id') IS DISTINCT FROM (to_jsonb(OLD) - 'run_id' - 'created_by' - 'pipeline_revision_id')
     OR (NEW.run_id IS DISTINCT FROM OLD.run_id AND NEW.run_id IS NOT NULL)
     OR (NEW.created_by IS DISTINCT FROM OLD.created_by AND NEW.created_by IS NOT NULL)
     OR (NEW.pipeline_revision_id IS DISTINCT FROM OLD.pipeline_revision_id AND NEW.pipeline_revision_id IS NOT NULL) THEN
    RAISE EXCEPTION 'release % is immutable: create a new release instead', OLD.version USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "releases_immutable" BEFORE UPDATE ON "releases" FOR EACH ROW EXECUTE FUNCTION "slipway_releases_immutable"();
