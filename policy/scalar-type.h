/* What a plain (unquoted) YAML scalar is to the YAML readers a policy meets: PyYAML, which
 * Ansible uses (YAML 1.1 resolution: yes/no/on/off are booleans, 0100 is octal, 1:30 is
 * sexagesimal), and YAML 1.2's core schema. vfmgr refuses a scalar they would read otherwise
 * than it does, so a file means the same to both. */
#ifndef VFMGR_POLICY_SCALAR_TYPE_H
#define VFMGR_POLICY_SCALAR_TYPE_H

#include <stdbool.h>

enum scalar_type {
	SCALAR_STRING,
	SCALAR_NULL,
	SCALAR_BOOL,
	SCALAR_INT,
	SCALAR_FLOAT,
};

/* The type PyYAML (YAML 1.1) resolves the plain scalar s to. */
enum scalar_type scalar_type_yaml11(const char *s);
/* The type YAML 1.2's core schema resolves the plain scalar s to. */
enum scalar_type scalar_type_yaml12(const char *s);
/* "a boolean", "null", "an integer", "a number", or "a string". */
const char *scalar_type_name(enum scalar_type t);
/* s is a plain decimal integer both read alike: 0, or 1-9 then digits (no sign, no leading
 * zero, no '_'). */
bool scalar_is_plain_decimal(const char *s);

#endif
