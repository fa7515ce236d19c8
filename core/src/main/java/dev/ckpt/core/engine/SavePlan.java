package dev.ckpt.core.engine;

import java.util.List;
import java.util.Objects;

/**
 * What becomes true once a {@link Decision.Save} is durably written: the run's checkpoints after it, the
 * ones retention then releases, and the engine state to store with the commit. The engine proposes it
 * without changing anything; {@link CheckpointEngine#apply} adopts it after the write succeeded.
 *
 * <pre>{@code
 * SavePlan plan = save.plan();
 * storage.commit(save.checkpoint(), plan);            // one manifest write: add, release, store plan.state()
 * engine.apply(save);
 * plan.released().forEach(c -> storage.delete(c.path()));
 * }</pre>
 *
 * <p>A plan is tied to the engine's checkpoints when it was proposed ({@link #before()}); applying it
 * after another save changed them is refused. It never releases the best or the new latest checkpoint.
 *
 * @param state    the engine state at the save point with the best value after this save: store it with the commit
 * @param before   the run's checkpoints the plan was proposed against
 * @param after    the run's checkpoints once the save is committed and the releases are done
 * @param released checkpoints of {@code before} that retention lets go once this save is committed
 */
public record SavePlan(EngineState state, RunCheckpoints before, RunCheckpoints after, List<CheckpointRecord> released) {
    /** Copies the list. */
    public SavePlan {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
        released = List.copyOf(released);
    }
}
