"""The application's dialogs. Each returns the user's answer; callers do the work."""
