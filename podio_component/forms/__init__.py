"""What a step's form shows and gives: each step's typed cfg, the item input, the app-list
select model and getMetaModel's schemas."""
