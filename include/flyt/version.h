/*
 * The build's provenance, as recorded in every output file.
 *
 * flyt_git_commit_str is regenerated at every build (cmake/gitcommit.cmake),
 * not at configure time, so a binary never claims a commit it was not built
 * from: 12 hex digits of the commit, "-modified" appended when a tracked
 * file differed from it, or "unknown (not built from a git checkout)".
 */
#ifndef FLYT_VERSION_H
#define FLYT_VERSION_H

extern const char flyt_git_commit_str[];

#ifndef FLYT_GIT_COMMIT /* scripts/lint.sh defines its own */
#define FLYT_GIT_COMMIT flyt_git_commit_str
#endif

#endif
