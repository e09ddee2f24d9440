package dev.plinth.load;

import dev.plinth.core.Problem;

import dev.plinth.api.DesiredState;
import java.util.List;

/** A revision parsed and validated whole: either a state with no problems, or the problems and no state. */
public record LoadResult(DesiredState state, List<Problem> problems) {

    public LoadResult {
        problems = List.copyOf(problems);
        if ((state == null) == problems.isEmpty()) {
            throw new IllegalArgumentException("exactly one of state or problems");
        }
    }

    public static LoadResult ok(DesiredState state) {
        return new LoadResult(state, List.of());
    }

    public static LoadResult rejected(List<Problem> problems) {
        return new LoadResult(null, problems.stream().sorted().toList());
    }

    public boolean isOk() {
        return state != null;
    }
}
