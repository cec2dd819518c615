CREATE TYPE "public"."pipeline_source" AS ENUM('repository', 'slipway');--> statement-breakpoint
CREATE TYPE "public"."job_status" AS ENUM('pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped');--> statement-breakpoint
CREATE TYPE "public"."run_status" AS ENUM('queued', 'running', 'succeeded', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."run_trigger" AS ENUM('push', 'pull_request', 'tag', 'manual', 'schedule', 'api', 'poll', 'rerun');--> statement-breakpoint
CREATE TABLE "pipeline_revisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"yaml" text NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"positions" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"valid" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "project_pipeline_settings" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"source" "pipeline_source" DEFAULT 'repository' NOT NULL,
	"webhook_secret_encrypted" text,
	"poll_interval_seconds" integer DEFAULT 0 NOT NULL,
	"checkout_secret" text,
	"default_cpus" text DEFAULT '1' NOT NULL,
	"default_memory_mb" integer DEFAULT 1024 NOT NULL,
	"polled_heads" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_log_chunks" (
	"job_id" uuid NOT NULL,
	"first_line" bigint NOT NULL,
	"line_count" integer NOT NULL,
	"content" text NOT NULL,
	"timestamps" bigint[] NOT NULL,
	CONSTRAINT "job_log_chunks_job_id_first_line_pk" PRIMARY KEY("job_id","first_line")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"key" text NOT NULL,
	"job_id" text NOT NULL,
	"name" text NOT NULL,
	"status" "job_status" DEFAULT 'pending' NOT NULL,
	"needs" text[] DEFAULT '{}' NOT NULL,
	"matrix" jsonb,
	"runs_on" text[] DEFAULT '{}' NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"max_attempts" integer DEFAULT 1 NOT NULL,
	"worker_id" text,
	"executor" text,
	"exit_code" integer,
	"reason" text,
	"outputs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"log_lines" bigint DEFAULT 0 NOT NULL,
	"queued_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"status" "run_status" DEFAULT 'queued' NOT NULL,
	"trigger" "run_trigger" NOT NULL,
	"triggered_by" uuid,
	"event" jsonb NOT NULL,
	"inputs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"commit_sha" text NOT NULL,
	"branch" text,
	"tag" text,
	"pipeline_yaml" text NOT NULL,
	"pipeline_revision_id" uuid,
	"plan" jsonb NOT NULL,
	"concurrency_group" text,
	"secrets_allowed" boolean DEFAULT true NOT NULL,
	"rerun_of" uuid,
	"cancel_requested_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"provider" text NOT NULL,
	"delivery_id" text NOT NULL,
	"project_id" uuid,
	"event" text NOT NULL,
	"outcome" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"run_id" uuid,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_provider_delivery_id_pk" PRIMARY KEY("provider","delivery_id")
);
--> statement-breakpoint
CREATE TABLE "secrets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"environment_id" uuid,
	"name" text NOT NULL,
	"encrypted" text NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "artifacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"job_id" uuid,
	"name" text NOT NULL,
	"digest" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"file_count" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "caches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"key" text NOT NULL,
	"digest" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "pipeline_revisions" ADD CONSTRAINT "pipeline_revisions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipeline_revisions" ADD CONSTRAINT "pipeline_revisions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_pipeline_settings" ADD CONSTRAINT "project_pipeline_settings_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_log_chunks" ADD CONSTRAINT "job_log_chunks_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_triggered_by_users_id_fk" FOREIGN KEY ("triggered_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secrets" ADD CONSTRAINT "secrets_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secrets" ADD CONSTRAINT "secrets_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secrets" ADD CONSTRAINT "secrets_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "caches" ADD CONSTRAINT "caches_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "pipeline_revisions_project_number" ON "pipeline_revisions" USING btree ("project_id","number");--> statement-breakpoint
CREATE INDEX "pipeline_revisions_project" ON "pipeline_revisions" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_run_key" ON "jobs" USING btree ("run_id","key");--> statement-breakpoint
CREATE INDEX "jobs_status_worker" ON "jobs" USING btree ("status","worker_id");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_project_number" ON "runs" USING btree ("project_id","number");--> statement-breakpoint
CREATE INDEX "runs_project_created" ON "runs" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE INDEX "runs_concurrency" ON "runs" USING btree ("project_id","concurrency_group","status");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_project" ON "webhook_deliveries" USING btree ("project_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "secrets_scope_name" ON "secrets" USING btree ("project_id",coalesce("environment_id", '00000000-0000-0000-0000-000000000000'::uuid),"name");--> statement-breakpoint
CREATE UNIQUE INDEX "artifacts_run_name" ON "artifacts" USING btree ("run_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "caches_project_key" ON "caches" USING btree ("project_id","key");--> statement-breakpoint
CREATE INDEX "caches_project_created" ON "caches" USING btree ("project_id","created_at");