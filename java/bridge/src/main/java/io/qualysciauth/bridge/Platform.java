package io.qualysciauth.bridge;

/** The CI system a session runs under; it decides which credentials the rule allows. */
public enum Platform {
    GITHUB_ACTIONS("github-actions"),
    GITLAB_CI("gitlab-ci"),
    JENKINS("jenkins"),
    AZURE_DEVOPS("azure-devops"),
    /** Any other CI system or a person's shell. */
    SHELL("shell");

    private final String wireName;

    Platform(String wireName) {
        this.wireName = wireName;
    }

    /** Returns the name the core and the CLI use, such as {@code jenkins}. */
    public String wireName() {
        return wireName;
    }
}
