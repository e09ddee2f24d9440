package dev.plinth.driver;

/** BMC login. {@link #toString()} never shows the password, so a stray log line cannot leak it. */
public record BmcCredentials(String username, String password) {
    @Override
    public String toString() {
        return "BmcCredentials[username=" + username + ", password=***]";
    }
}
