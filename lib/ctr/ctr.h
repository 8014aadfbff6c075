/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The one shape of a counter declaration. Every module that counts keeps one
 * .def beside its code, one line per counter:
 *
 *   SB_CTR(name, "what it counts")
 *
 * `name` is both the identifier the module's enum is built from
 * (SB_<MODULE>_CTR_<name>, or the module's established prefix) and the name
 * readers print, so a counter is spelled one way everywhere. The module
 * expands its .def into its enum and into a table of descriptions
 * (SB_CTR_DESC); the dataplane copies those tables into shared memory once
 * at start (lib/msg/shm.h, the counter directory), and sbctl and telemetry
 * print from there. Adding a counter is one line in one .def.
 */
#ifndef SB_CTR_H
#define SB_CTR_H

/* A counter's description, as readers print it. */
struct sb_ctr_desc {
	const char *name;
	const char *help;
};

/* Expand a .def into an array of struct sb_ctr_desc indexed by the enum:
 *   #define SB_CTR(name, help) SB_CTR_DESC(PREFIX_, name, help)
 */
#define SB_CTR_DESC(prefix, name, help) [prefix##name] = { #name, help },

#endif
