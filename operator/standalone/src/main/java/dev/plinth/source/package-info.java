/**
 * The desired state from Git.
 *
 * <pre>{@code
 * GitSourceConfig cfg = GitSourceConfig.of("ssh://git@git.example.org/infra.git", Path.of("/var/lib/plinth/git"))
 *         .withBranch("main").withPath("clusters/east").withPollInterval(Duration.ofMinutes(1))
 *         .withSsh(Path.of("/etc/plinth/deploy_key"), Path.of("/etc/plinth/known_hosts"));
 * GitSource source = new GitSource(cfg);
 * Snapshot last = source.read(lastAppliedCommit);          // after a restart: no network needed
 * RevisionWatcher watcher = new RevisionWatcher(source, listener);
 * watcher.start(lastAppliedCommit);                         // not delivered again if still the head
 * webhook -> watcher.triggerNow();
 * // shutdown: watcher.close(); source.close();
 * }</pre>
 *
 * <p>{@link dev.plinth.source.GitSource} keeps a bare mirror in the cache directory and reads files straight
 * from its object database; {@link dev.plinth.source.RevisionWatcher} polls it on one daemon thread and
 * hands new head commits to a listener. Failures are {@link dev.plinth.source.SourceException}s whose
 * messages name the repository without credentials.
 */
package dev.plinth.source;
