"""Tape operations that are neither backup nor restore: lifecycle, labelling, erasing, inventory."""
