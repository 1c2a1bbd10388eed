#!/bin/sh
# antibody example: a harmless placeholder. Only its name matters: it matches
# the pack's file-name indicator for a first-stage C2 server binary. It does
# nothing.
exit 0
