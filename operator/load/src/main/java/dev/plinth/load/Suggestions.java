package dev.plinth.load;

import java.util.Collection;
import java.util.Locale;

/** "Did you mean" hints for misspelt field names, kinds and references. */
final class Suggestions {
    private Suggestions() {}

    /** The candidate closest to {@code input}, or null when none is close enough to be a plausible typo. */
    static String closest(String input, Collection<String> candidates) {
        String in = input.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int d = distance(in, candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        int allowed = Math.max(2, in.length() / 3);
        return bestDistance <= allowed ? best : null;
    }

    /** Ready-made suffix for a message: {@code : did you mean "x"?} or the empty string. */
    static String didYouMean(String input, Collection<String> candidates) {
        String s = closest(input, candidates);
        return s == null ? "" : ": did you mean \"" + s + "\"?";
    }

    // Levenshtein distance with two rolling rows; inputs are short field names.
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
