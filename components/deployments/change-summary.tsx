import { isoTitle } from "@/components/ui/format";
import { plural } from "@/components/ui/format";
import { shortDigest, shortSha, type DeploymentPreview } from "./format";
import { RulesOutlook } from "./rules-outlook";
import styles from "./deployments.module.css";

/** Exactly what a deploy, promotion or rollback changes in one environment: version, commits, digest, variables, strategy, and what the rules hold it for. */
export function ChangeSummary({ preview }: { preview: DeploymentPreview }) {
  const { release, current, commits, artifact, variables, environment } = preview;
  const removing = preview.direction === "back";
  return (
    <div className={styles.changes} data-testid="change-summary">
      <table>
        <tbody>
          <tr>
            <th scope="row">Version</th>
            <td data-testid="change-version">
              {current ? <code>{current.version}</code> : <span className="muted">nothing yet</span>} → <code>{release.version}</code>
              {preview.direction === "back" && <span className="muted"> (an earlier release)</span>}
            </td>
          </tr>
          <tr>
            <th scope="row">Commit</th>
            <td data-testid="change-commit">
              {current ? <code title={current.commitSha}>{shortSha(current.commitSha)}</code> : <span className="muted">—</span>} →{" "}
              <code title={release.commitSha}>{shortSha(release.commitSha)}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">{release.imageDigest || release.image ? "Image" : "Artifact"}</th>
            <td data-testid="change-digest">
              {artifact.from && (
                <>
                  <code title={artifact.from}>{shortDigest(artifact.from)}</code> →{" "}
                </>
              )}
              <code title={artifact.to}>{shortDigest(artifact.to)}</code>
              {artifact.from && !artifact.changed && <span className="muted"> (unchanged)</span>}
            </td>
          </tr>
          <tr>
            <th scope="row">Strategy</th>
            <td>{preview.strategy.summary}</td>
          </tr>
        </tbody>
      </table>

      <section aria-label="Commits" className="stack" style={{ gap: "0.3rem" }}>
        <strong className="small">
          {commits.list.length > 0
            ? `${plural(commits.list.length, "commit")}${commits.truncated ? "+" : ""} ${removing ? `${environment.name} loses` : `${environment.name} gains`}`
            : "Commits"}
        </strong>
        {commits.note && <span className="small muted">{commits.note}</span>}
        {commits.list.length > 0 && (
          <ul className={styles.commitList} data-testid="change-commits">
            {commits.list.map((c) => (
              <li key={c.sha} className={removing ? styles.removed : undefined}>
                <code title={c.sha}>{shortSha(c.sha)}</code> {c.title} <span className="muted">· {c.author}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-label="Variables" className="stack" style={{ gap: "0.3rem" }} data-testid="change-variables">
        <strong className="small">Variables</strong>
        {variables.fromEnvironment && (
          <VariableTable
            caption={`${environment.name} against ${variables.fromEnvironment.name}, where ${release.version} ran`}
            none={`Same variables as ${variables.fromEnvironment.name}.`}
            fromLabel={variables.fromEnvironment.name}
            toLabel={environment.name}
            changes={variables.fromEnvironment.changes}
          />
        )}
        {current ? (
          <VariableTable
            caption={`Edited in ${environment.name} since ${current.version} went live (they take effect now)`}
            none={variables.fromEnvironment ? null : `No variable of ${environment.name} changed since ${current.version} went live.`}
            fromLabel="then"
            toLabel="now"
            changes={variables.sinceCurrent}
          />
        ) : (
          !variables.fromEnvironment && <span className="small muted">The instances start with {environment.name}’s variables as they are now.</span>
        )}
      </section>

      {preview.ahead > 0 && !preview.blocked && (
        <p className="notice small" style={{ margin: 0 }}>
          {plural(preview.ahead, "deployment")} to {environment.name} {preview.ahead === 1 ? "is" : "are"} ahead of it: it waits in line and starts when {preview.ahead === 1 ? "that one ends" : "they end"}.
        </p>
      )}
      {!preview.blocked && <RulesOutlook governance={preview.governance} />}
      {preview.blocked && (
        <p className="notice error small" role="alert" style={{ margin: 0 }}>
          {preview.blocked}
        </p>
      )}
      <span className="small muted" title={isoTitle(release.createdAt)}>
        Release #{release.number} was built {new Date(release.createdAt).toLocaleString()}.
      </span>
    </div>
  );
}

function VariableTable(props: { caption: string; none: string | null; fromLabel: string; toLabel: string; changes: { name: string; from: string | null; to: string | null }[] }) {
  if (props.changes.length === 0) return props.none ? <span className="small muted">{props.none}</span> : null;
  return (
    <table>
      <caption className="small muted" style={{ textAlign: "left" }}>
        {props.caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">{props.fromLabel}</th>
          <th scope="col">{props.toLabel}</th>
        </tr>
      </thead>
      <tbody>
        {props.changes.map((c) => (
          <tr key={c.name}>
            <td>
              <code>{c.name}</code>
            </td>
            <td>{c.from === null ? <span className="muted">not set</span> : <code>{c.from}</code>}</td>
            <td>{c.to === null ? <span className="muted">not set</span> : <code>{c.to}</code>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
