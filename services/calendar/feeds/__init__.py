"""The feeds calendar apps subscribe to: public ones, a participant's own, one group's dates."""
