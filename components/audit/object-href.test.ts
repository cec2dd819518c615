import { describe, expect, it } from "vitest";
import { objectHref } from "./object-href";

const project = { slug: "shop" };
const id = "0b6f4a52-5d1e-4f0c-9a51-3a1f2e7d9c10";

describe("audit links", () => {
  it.each([
    [{ objectType: "approval_request", objectId: id }, `/go/approval/${id}`],
    [{ objectType: "deployment", objectId: id }, `/projects/shop/deployments/${id}`],
    [{ objectType: "release", objectId: id }, `/projects/shop/releases/${id}`],
    [{ objectType: "run", objectId: id }, `/projects/shop/runs/${id}`],
    // Protection rule changes are audited on the environment, whose page shows them.
    [{ objectType: "environment", objectId: id }, `/projects/shop/environments/${id}`],
    [{ objectType: "job", objectId: "j", after: { runId: id } }, `/projects/shop/runs/${id}`],
    [{ objectType: "freeze_window", objectId: "f", after: { environmentId: id } }, `/projects/shop/environments/${id}`],
    [{ objectType: "freeze_window", objectId: "f", before: { environmentId: id } }, `/projects/shop/environments/${id}`],
    [{ objectType: "freeze_window", objectId: "f", after: { environmentId: null } }, "/projects/shop/deployments"],
    [{ objectType: "notification_hook", objectId: id }, "/projects/shop/settings/notifications"],
    [{ objectType: "secret", objectId: id }, "/projects/shop/secrets"],
    [{ objectType: "member", objectId: id }, "/projects/shop/settings"],
    [{ objectType: "pipeline_revision", objectId: id }, "/projects/shop/pipeline"],
    [{ objectType: "project", objectId: id }, "/projects/shop"],
    [{ objectType: "token", objectId: id }, "/tokens"],
  ])("link %j to its page", (event, href) => {
    expect(objectHref(event, project)).toBe(href);
  });

  it("link an approval request even when its project is not known, and nothing else then", () => {
    expect(objectHref({ objectType: "approval_request", objectId: id }, undefined)).toBe(`/go/approval/${id}`);
    expect(objectHref({ objectType: "deployment", objectId: id }, undefined)).toBeNull();
    expect(objectHref({ objectType: "user", objectId: id }, project)).toBeNull();
  });
});
